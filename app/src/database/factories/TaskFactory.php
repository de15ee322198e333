<?php

namespace Database\Factories;

use App\Models\Task;
use Illuminate\Database\Eloquent\Factories\Factory;

/** @extends Factory<Task> */
class TaskFactory extends Factory
{
    public function definition(): array
    {
        return [
            'title' => $this->faker->sentence(4),
            'description' => $this->faker->paragraph(),
            'status' => $this->faker->randomElement(Task::STATUSES),
            'priority' => $this->faker->randomElement(Task::PRIORITIES),
            'due_on' => $this->faker->optional()->date(),
        ];
    }
}
